"""redline: GIS toolkit for Chinese land-use and ecological planning (the command-line shell).

The library lives in three packages: :mod:`redline.layers` (data in and out), :mod:`redline.spatial` (computation)
and :mod:`redline.maps` (rendering). This package holds the ``redline`` command, which wires them together.
"""

from redline.layers.outputs import tool_version

__version__ = tool_version()
