"""An agency at work: its desk, call list, messages, inbound queue, offers and fees."""
