import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdsite.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
