"""Flame custom action written by Ultimate Roto 0.1.0: builds a Batch with the plate and the roto mattes."""

BATCH_NAME = 'shot_roto'
START = 1001
DURATION = 5
PLATE = '/shots/a/plate.[1001-1005].exr'
MATTES = {'hero': '/out/hero/hero.[1001-1005].exr'}


def build_batch(selection=None):
    """Create the Batch group with the plate and one matte clip per object."""
    import flame

    flame.batch.create_batch_group(
        BATCH_NAME, start_frame=START, duration=DURATION, reels=["Plate", "Mattes"]
    )
    if PLATE:
        plate = flame.batch.import_clip(PLATE, "Plate")
        if plate:
            plate.name = "plate"
    for name, path in MATTES.items():
        clip = flame.batch.import_clip(path, "Mattes")
        if clip:
            clip.name = "matte_" + name
    flame.batch.organize()


def get_main_menu_custom_ui_actions():
    return [
        {
            "name": "Ultimate Roto",
            "actions": [{"name": "Import roto: " + BATCH_NAME, "execute": build_batch}],
        }
    ]
