"""Constants shared by the library and the command line, free of heavy imports."""

#: Default anonymity threshold: teams with fewer included respondents are suppressed.
DEFAULT_MIN_GROUP_SIZE = 5

#: The smallest anonymity threshold that may be set.
MIN_ALLOWED_GROUP_SIZE = 3
