#version 330 core
// Display transform: exposure (stops, in scene-linear light), channel isolation, then an OCIO
// display/view baked into a 3D LUT (log2 shaper for scene-linear input) or the fixed sRGB
// encoding of linear data, gamma (on display values, after the view: OCIO's display CC, as
// Nuke's viewer gamma), the colour-mapped depth overlay (near warm, far cool), then the mask
// overlay tinted with the object's colour and an outline from neighbouring texels (at least
// one screen pixel apart, so it stays a continuous line when zoomed out). MATTE shows the
// object's mask alone as grey.
// Exposure on a display-encoded source (DECODE: sRGB/Rec.709 video, 8-bit images, log scans)
// first decodes the isolated channel to the source's linear equivalent through u_decode (its
// transfer function, a 1D table per channel; DECODE_SRGB / _REC709 / _CINEON: the formula of
// those curves instead, cheaper than three filtered reads), then multiplies, then the LUT baked
// for that linear space (USE_LUT + LOG_SHAPER; without a view: LINEAR, the sRGB encoding). At
// 0 stops the viewport leaves DECODE out: the source's own LUT, exactly as without exposure.
// Twin: app/display_cpu.py (the 1:1 case; display_route picks the route).
// The viewport compiles one variant per combination of the features in use (DECODE alone or
// with DECODE_SRGB, DECODE_REC709 or DECODE_CINEON, USE_LUT, LOG_SHAPER, LINEAR, CHANNEL,
// GAMMA, DEPTH, OVERLAY are #defined after the #version line:
// exposure on display-encoded data, a view chosen (the LUT replaces the sRGB encoding), LUT
// input (log2(c) - lo) / (hi - lo) for scene-linear data, the sRGB encoding of linear data, a
// channel other than RGB, gamma != 1, the depth overlay, the mask overlay; MATTE alone
// replaces all of them):
// software GL (llvmpipe) runs both sides of a branch on a uniform, so every unused feature
// would otherwise cost its texture reads and maths at every pixel.
in vec2 v_uv;
out vec4 frag_colour;

uniform sampler2D u_image;     // RGB(A) 8-bit (normalised), half or float; row 0 = image top
uniform sampler2D u_mask;      // R8 coverage 0..1, same size as the image or not
uniform float u_exposure;      // stops: colour * 2^exposure
uniform float u_gamma;         // viewer gamma, 1 = neutral
uniform int u_channel;         // 0 RGB, 1 R, 2 G, 3 B, 4 A, 5 luminance (with CHANNEL);
                               // 6 the matte is the MATTE variant
uniform vec3 u_overlay_colour; // object colour
uniform float u_overlay_opacity;
uniform vec2 u_mask_texel;     // 1 / mask size
uniform sampler3D u_lut;       // OCIO display/view, RGB float, (s, t, p) = (r, g, b) 0..1
uniform float u_lut_size;      // texels per axis
uniform vec2 u_shaper_range;   // (lo, hi) stops of the log2 shaper
uniform sampler2D u_depth;     // R32F depth normalised 0 near .. 1 far
uniform sampler2D u_decode;    // (N x 1) RGB float: per channel, encoded 0..1 -> linear
uniform float u_decode_size;   // N
uniform float u_depth_opacity;
uniform vec3 u_depth_near;
uniform vec3 u_depth_far;

float srgb_encode(float c) {
    c = max(c, 0.0);
    return c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1.0 / 2.4) - 0.055;
}

vec3 isolate(vec4 c) {
    if (u_channel == 1) return vec3(c.r);
    if (u_channel == 2) return vec3(c.g);
    if (u_channel == 3) return vec3(c.b);
    if (u_channel == 4) return vec3(c.a);
    if (u_channel == 5) return vec3(dot(c.rgb, vec3(0.2126, 0.7152, 0.0722)));
    return c.rgb;
}

vec3 apply_lut(vec3 c) {
#ifdef LOG_SHAPER
    float lo = u_shaper_range.x;
    float hi = u_shaper_range.y;
    vec3 x = (log2(max(c, vec3(exp2(lo)))) - lo) / (hi - lo);
#else
    vec3 x = c;
#endif
    x = clamp(x, 0.0, 1.0);
    // texel centres: coordinate 0 -> 0.5 / n, 1 -> (n - 0.5) / n
    return texture(u_lut, (x * (u_lut_size - 1.0) + 0.5) / u_lut_size).rgb;
}

vec3 decode(vec3 c) {
    c = clamp(c, 0.0, 1.0);
#if defined(DECODE_SRGB)
    vec3 lin = c / 12.92;
    vec3 curve = pow((c + 0.055) / 1.055, vec3(2.4));
    return mix(curve, lin, vec3(lessThanEqual(c, vec3(0.04045))));
#elif defined(DECODE_REC709)
    vec3 lin = c / 4.5;
    vec3 curve = pow((c + 0.099) / 1.099, vec3(1.0 / 0.45));
    return mix(curve, lin, vec3(lessThan(c, vec3(0.081))));
#elif defined(DECODE_CINEON)
    const float black = 0.010797751623277;  // 10^((95 - 685) / 300): linear 0
    return (exp2((c * 1023.0 - 685.0) * (log2(10.0) / 300.0)) - black) / (1.0 - black);
#else
    // texel centres, as apply_lut; each channel reads its own curve
    vec3 u = (c * (u_decode_size - 1.0) + 0.5) / u_decode_size;
    return vec3(texture(u_decode, vec2(u.r, 0.5)).r, texture(u_decode, vec2(u.g, 0.5)).g,
                texture(u_decode, vec2(u.b, 0.5)).b);
#endif
}

float outline(vec2 uv) {
    // neighbours one mask texel away, or one screen pixel when a pixel covers more texels
    // (zoomed out): a one-texel offset would then skip the edge between most screen pixels
    vec2 d = max(u_mask_texel, fwidth(uv));
    float here = step(0.5, texture(u_mask, uv).r);
    float diff = 0.0;
    diff += abs(here - step(0.5, texture(u_mask, uv + vec2(d.x, 0.0)).r));
    diff += abs(here - step(0.5, texture(u_mask, uv - vec2(d.x, 0.0)).r));
    diff += abs(here - step(0.5, texture(u_mask, uv + vec2(0.0, d.y)).r));
    diff += abs(here - step(0.5, texture(u_mask, uv - vec2(0.0, d.y)).r));
    return clamp(diff, 0.0, 1.0);
}

void main() {
#ifdef MATTE
    frag_colour = vec4(vec3(clamp(texture(u_mask, v_uv).r, 0.0, 1.0)), 1.0);
#else
    vec4 src = texture(u_image, v_uv);
#if defined(DECODE) && defined(CHANNEL)
    vec3 c = decode(isolate(src)) * exp2(u_exposure);
#elif defined(DECODE)
    vec3 c = decode(src.rgb) * exp2(u_exposure);
#elif defined(CHANNEL)
    vec3 c = isolate(vec4(src.rgb * exp2(u_exposure), src.a));
#else
    vec3 c = src.rgb * exp2(u_exposure);
#endif
#if defined(USE_LUT)
    c = apply_lut(c);
#elif defined(LINEAR)
    c = vec3(srgb_encode(c.r), srgb_encode(c.g), srgb_encode(c.b));
#endif
#ifdef GAMMA
    c = pow(max(c, vec3(0.0)), vec3(1.0 / max(u_gamma, 1e-4)));
#else
    c = max(c, vec3(0.0));
#endif
#ifdef DEPTH
    float d = texture(u_depth, v_uv).r;
    c = mix(c, mix(u_depth_near, u_depth_far, d), u_depth_opacity);
#endif
#ifdef OVERLAY
    float m = texture(u_mask, v_uv).r;
    c = mix(c, u_overlay_colour, m * u_overlay_opacity);
    c = mix(c, u_overlay_colour, outline(v_uv));
#endif
    frag_colour = vec4(clamp(c, 0.0, 1.0), 1.0);
#endif
}
