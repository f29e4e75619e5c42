// Placeholder translation unit for a library whose directory has no sources yet.
