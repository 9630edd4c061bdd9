"""Source loaders: read source files, validate and normalise rows, write source records."""
