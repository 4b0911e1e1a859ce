"""Local stand-ins for the systems KubeSent talks to; used by tests and demos, never by the function."""
