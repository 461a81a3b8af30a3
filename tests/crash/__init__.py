"""Crash and concurrency tests: worker processes SIGKILLed while they file claims."""
