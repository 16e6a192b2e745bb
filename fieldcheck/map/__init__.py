"""The map (一张图): community polygons coloured by a measure and the reports as points (API and page)."""
