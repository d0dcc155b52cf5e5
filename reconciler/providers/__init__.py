"""ESP providers: read an account into the model and carry out planned changes."""
