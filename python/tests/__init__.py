"""Tests of the airtime Python package: /usr/bin/python3 -m unittest discover -s python/tests -t python"""
