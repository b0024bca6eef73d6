"""Tests of the airtime Python package.

Run from the repository root: /usr/bin/python3 -m unittest discover -s python/tests -t python
"""
