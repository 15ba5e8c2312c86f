"""Posts as text and media: shared by audit and publish."""
