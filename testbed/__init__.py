"""Inline Images testbed: a real SillyTavern with stand-in LLM and image backends."""
