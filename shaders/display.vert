#version 330 core
// Image quad: positions in NDC (from the Qt-free view transform), texture coordinates 0..1.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec2 a_uv;
out vec2 v_uv;

void main() {
    v_uv = a_uv;
    gl_Position = vec4(a_pos, 0.0, 1.0);
}
