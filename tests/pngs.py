"""Helpers shared by the plot tests."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(path):
    """The image at ``path``, after checking it is a real PNG."""
    import matplotlib.image

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    return matplotlib.image.imread(path)


def assert_only(folder, *names):
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)  # no temp file left
