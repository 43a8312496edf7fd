"""Reading the question: its language, a follow-up made whole, the time it names, the kind of fact and the shape of answer it asks for."""
