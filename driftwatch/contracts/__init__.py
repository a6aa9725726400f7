"""Typed contracts that cross process boundaries; nothing here has side effects."""
