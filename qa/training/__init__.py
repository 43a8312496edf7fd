"""Training the reader: its data, the training loop and the refusal threshold."""
