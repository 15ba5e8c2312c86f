"""Publishing: calendar, slots, the dispatcher and one connector per network."""
