"""Finding the passages: hybrid dense (Chroma) + lexical (Tantivy) search over the indexed chunks."""
