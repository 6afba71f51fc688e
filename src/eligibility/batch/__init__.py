"""Above the Engine: registers as departments write them (headers, values, encodings, Excel)."""
