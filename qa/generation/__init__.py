"""Generated answers (optional): a language model writes, and every sentence is verified against its citations."""
