"""Builds the Cython extensions; the project's metadata lives in pyproject.toml.

Every ``*.pyx`` module under the packages is compiled; hot loops live there
(typed memoryviews, ``nogil``), their pure-Python callers beside them.
"""
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

PACKAGE_DIRS = {"logzip": "logzip", "fmindex": "fmindex"}


def find_extensions():
    extensions = []
    for package, folder in PACKAGE_DIRS.items():
        for pyx in sorted(Path(folder).rglob("*.pyx")):
            module = ".".join((package,) + pyx.relative_to(folder).with_suffix("").parts)
            extensions.append(
                Extension(
                    module,
                    [str(pyx)],
                    include_dirs=[numpy.get_include()],
                    extra_compile_args=["-O3"],
                )
            )
    return extensions


setup(
    packages=["logzip", "logzip.cluster", "logzip.codec", "logzip.dask", "logzip.search", "logzip.cli", "fmindex"],
    package_dir={"logzip.cli": "cli"},
    ext_modules=cythonize(
        find_extensions(),
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
)
