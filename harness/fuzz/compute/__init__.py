"""The compute marketplace's fuzz machine (machine.py) and its observers of the records holding strings."""
