"""Getting planning data in and out: readers (Shapefile, GeoPackage, FileGDB, GeoJSON, KML, GeoParquet,
国土TXT), CRS and encoding sniffing, layer kinds and attribute mapping, the project file, the demo region."""
