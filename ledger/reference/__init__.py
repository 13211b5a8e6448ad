"""Reference data shipped with the package.

CPU options (Art. 1), schools (Annex II), certification profiles (PC) as versioned data, and
the CléA referentials.

Adding a real profile is a data change: drop a JSON file into ``data/profiles`` named
``<option slug>@<approval date>.json``. Loaders validate what they read.
"""
