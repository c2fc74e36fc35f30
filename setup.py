"""The one compiled module: the structural pass for well-formed Explicit VR Little Endian data.

Everything else is declared in pyproject.toml. The extension is optional: where it does not
build (no C compiler, no Python headers) the package installs without it and
``rdsr_parsers.reader.lexer`` runs its pure-Python pass alone (same index, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "rdsr_parsers.reader._fastlex",
            sources=["rdsr_parsers/reader/_fastlex.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
            optional=True,
        )
    ]
)
