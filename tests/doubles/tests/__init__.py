"""Tests of the doubles themselves (tests/doubles/): each rule a double enforces, apart from the product."""
