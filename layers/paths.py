"""Naming a layer inside a file: ``PATH:LAYER``, one syntax wherever redline takes a path.

A GeoPackage, File Geodatabase, KML/KMZ, DXF drawing or zip archive may hold several layers. Wherever a
command or a Python function takes a path, the layer is named after a colon:

=================================  ===================================================================
``示范县.gpkg:生态保护红线``          the layer 生态保护红线 of a GeoPackage (or ``.gdb`` folder, KML, KMZ)
``资料.zip:生态保护红线``             the Shapefile 生态保护红线.shp inside a zip (name, file name or path
                                   inside the zip)
``资料.zip:成果/县界.gpkg:乡镇``      a layer of a GeoPackage inside a zip
``总图.dxf:用地红线``                the CAD layer (图层) 用地红线 of a DXF drawing
``C:\\数据\\示范县.gpkg:红线``         Windows paths keep their drive letter
=================================  ===================================================================

The rule: a path that exists as written is a path (a file name may hold a colon); otherwise the text is
cut at the first colon that follows a file name redline reads (``.gpkg``, ``.gdb``, ``.zip``, ``.shp`` …)
and the part before it exists. The layer name is everything after that colon, colons included, so a layer
named ``2024:修编`` is written ``规划.gpkg:2024:修编``.

Example
-------
>>> ref = LayerPath.parse("示范县.gpkg:生态保护红线")
>>> ref.file.name, ref.layer
('示范县.gpkg', '生态保护红线')
>>> str(ref), ref.name, ref.stem
('示范县.gpkg:生态保护红线', '示范县.gpkg:生态保护红线', '生态保护红线')
>>> LayerPath.parse(r"C:\\数据\\县界.gpkg:乡镇").layer                 # a drive letter is no layer name
'乡镇'
>>> LayerPath.parse(r"C:\\数据\\县界.gpkg").layer is None
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# what may stand before ``:LAYER``: every extension redline reads (a single-layer format names its own)
LAYERED_EXTENSIONS = (".gpkg", ".gdb", ".zip", ".kml", ".kmz", ".dxf", ".shp", ".geojson", ".json", ".fgb",
                      ".parquet", ".geoparquet", ".csv", ".txt", ".sqlite")


@dataclass(frozen=True)
class LayerPath:
    """A file (or ``.gdb`` folder) and, optionally, a layer inside it.

    Attributes
    ----------
    file : Path
        The file on disk.
    layer : str or None
        The layer inside it, as written after the colon (for a zip, a member and possibly its own layer).
    """

    file: Path
    layer: str | None = None

    @classmethod
    def parse(cls, text: str | os.PathLike | LayerPath) -> LayerPath:
        """The file and layer of ``PATH`` or ``PATH:LAYER`` (see the module docstring).

        A path that does not exist and names no layer comes back as it is (reading it then says
        "file not found").

        >>> ref = LayerPath.parse("a/b.zip:红线/县界.shp")
        >>> ref.file.as_posix(), ref.layer, ref.stem
        ('a/b.zip', '红线/县界.shp', '县界')
        >>> LayerPath.parse("no such.gpkg").layer is None
        True
        """
        if isinstance(text, LayerPath):
            return text
        s = os.fspath(text)
        if not s or os.path.exists(s):
            return cls(Path(s))
        cut = split_at_layer(s)
        if cut is None:
            return cls(Path(s))
        return cls(Path(cut[0]), cut[1])

    def __str__(self) -> str:
        return f"{self.file}:{self.layer}" if self.layer is not None else str(self.file)

    @property
    def name(self) -> str:
        """The file's name with the layer, as messages name it: ``示范县.gpkg:红线``."""
        return f"{self.file.name}:{self.layer}" if self.layer is not None else self.file.name

    @property
    def stem(self) -> str:
        """The layer's own name without extension (``县界`` for ``资料.zip:成果/县界.shp``), else the file's stem."""
        if self.layer is None:
            return self.file.stem
        last = self.layer.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return Path(last).stem if Path(last).suffix.lower() in LAYERED_EXTENSIONS else last

    @property
    def suffix(self) -> str:
        """The file's extension, lower case."""
        return self.file.suffix.lower()


def split_at_layer(text: str) -> tuple[str, str] | None:
    """``(path, layer)`` cut at the first colon that follows a readable file name, or None.

    Only a cut whose path part exists is taken (so a file name holding ``.gpkg:`` is not cut wrongly),
    except when no part exists: then the first cut after a readable extension is taken, and reading says
    that file is not found.

    >>> split_at_layer("县界.gpkg:乡镇:2024")
    ('县界.gpkg', '乡镇:2024')
    >>> split_at_layer(r"D:\\县界.gpkg") is None
    True
    """
    cuts = []
    start = 0
    while (i := text.find(":", start)) != -1:
        start = i + 1
        head = text[:i]
        if head.lower().rstrip("/\\").endswith(LAYERED_EXTENSIONS) and i + 1 < len(text):
            cuts.append((head.rstrip("/\\") if head.endswith((".gdb/", ".gdb\\")) else head, text[i + 1:]))
    for head, tail in cuts:
        if os.path.exists(head):
            return head, tail
    return cuts[0] if cuts else None


def layer_path_text(path: str | os.PathLike, layer: str | None) -> str:
    """The ``PATH:LAYER`` text of a file and a layer (just the path without a layer).

    >>> layer_path_text("县界.gpkg", "乡镇")
    '县界.gpkg:乡镇'
    """
    return f"{os.fspath(path)}:{layer}" if layer is not None else os.fspath(path)
