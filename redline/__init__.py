"""redline: GIS toolkit for Chinese land-use and ecological planning (the command-line shell).

The library lives in three packages: :mod:`layers` (data in and out), :mod:`spatial` (computation)
and :mod:`maps` (rendering). This package holds the ``redline`` command, which wires them together.
"""

from layers.outputs import tool_version

__version__ = tool_version()
