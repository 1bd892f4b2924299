"""The annotated job-file format shown by ``--batch --help`` and quoted by the README."""

JOB_FORMAT_HELP = """\
job file format, version 1 (JSON, or YAML with the same keys):

  {
    "version": 1,                        required; later versions extend v1, never break it
    "input": "shot.mov",                 a video file, a sequence "plate.####.exr" or
                                         "plate.%04d.dpx", or a folder of images;
                                         relative paths resolve against the job file's folder
    "frame_range": [1001, 1100],         optional, inclusive, in the media's own numbering
                                         (0-based for video files, file numbers for sequences)
    "output_dir": "out",                 relative export paths resolve here (default: the
                                         job file's folder); created when needed
    "colorspace": "auto",                auto | sRGB | Rec709 | ACEScg | ACES2065-1 | Linear
                                         (auto: guessed from the media)
    "allow_missing_frames": false,       sequences with gaps: false (error) | "hold" (repeat
                                         the previous frame) | "black"
    "objects": [                         things to roto; names are unique, used for {object}
      {"name": "hero",
       "prompts": [{"frame": 12,         source pixels, x right, y down
                    "points": [[640, 360, 1], [100, 80, 0]],   [x, y, 1=include 0=exclude]
                    "box": [500, 200, 780, 700],               [x0, y0, x1, y1]
                    "text": "person in red"}],
       "mask_ops": {"fill_holes": -1, "remove_islands": 50,   optional clean-up of the
                    "grow": 2, "feather": 1.5}}            tracked masks (px; -1 = all holes)
    ],
    "steps": [],                         processing in order, e.g. ["segment", "propagate",
                                         "refine", "depth"] (those installed in this version)
    "engines": {},                       engine per step, e.g. {"segment": "auto"}
    "exports": [                         one entry per output
      {"format": "exr", "what": "plate", "path": "plates/shot.####.exr",
       "compression": "zip", "pixel_type": "half"}
    ]
  }

exports (options sit beside format/what/path; defaults in brackets):
  format       exr | dpx | png | tiff | jpg (image sequences) | mp4 | mov | mkv (one file);
               optional when the path's extension says it
  what         plate: the source frames [plate]; steps add more (mask, matte, depth …)
  path         "####", "%04d" or "{frame}" is the frame number (sequences need one, video
               files must not have one); "{object}" is each object's name
  start_frame  renumber the output from this frame [the source numbers]
  colorspace   colour space written [Linear for exr, else the input's]
  exr          compression: zip | zips | piz | dwaa | dwab | zstd | none … [zip];
               pixel_type: half | float [half]
  dpx          bit_depth: 10 | 16 [10]        png   bit_depth: 8 | 16 [8]
  tiff         bit_depth: 8 | 16 | 32 [16]; compression: none | lzw | zip [zip]
  jpg          quality: 1-100 [95]
  mp4/mov/mkv  codec: h264 | h265 (mp4), also prores | dnxhr (mov, mkv); profile (prores:
               proxy | lt | standard | hq | 4444, dnxhr: lb | sq | hq | hqx | 444);
               crf: 0-51 [18]; preset: ultrafast … veryslow [fast]; bit_depth: 8 | 10;
               pix_fmt [chosen from the codec]

  dpx          encoding: linear | log (Cineon printing density: 95 black, 685 white) [linear]
  layers       multi-layer EXR ("what": "layers"): aovs: rgba | objects | matte | depth |
               normals | motion | ids | cryptomatte [rgba, objects]; multipart [false];
               premultiply: an object name; cryptomatte_ranks: 2-12 [6]; "{layer}" in the
               path writes one file per layer instead
  nuke         .nk with an animated Roto shape per object (+ a Nuke-Python twin, python
               [true]); ae: an After Effects .jsx with keyframed masks; fusion: a .setting
               with polygon masks; flame: matte EXRs + a Flame Python hook. Shapes are fitted
               to the masks: tolerance px [1.0], key_iou [0.98], source: auto | mask | matte
  mask/matte/depth  one channel per file: grey PNG/TIFF/DPX, or EXR channel A (mask,
               matte) / Z (depth); mask and matte paths need "{object}"
  preset       instead of format/what/path: {"preset": "Nuke multi-layer EXR" | "Flame" |
               "DPX log" | "PNG mattes", "folder": "deliver"}

A job with no steps and only "what": "plate" exports converts the media (e.g. MOV to EXR).
YAML: the same keys; `version: 1` on the first line is enough to start.
"""
