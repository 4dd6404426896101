"""Package layout for setuptools (the metadata and dependencies are in pyproject.toml).

Two packages come from ``lambdas/`` and ``local/``; two more are mapped onto ``infra/`` so that an installed
``notebook-guard`` carries what it reads there, without moving those files (the stack reads them in place):

- ``notebook_guard_local.statemachine``: data only, the workflow's ASL file (``infra/statemachine``), which the
  demo executes; ``notebook_guard_local.resources.asl_path()`` finds it.
- ``notebook_guard_local.stack``: the stack's settings validation (``infra/settings.py`` and the constants it
  uses), which imports no CDK; ``audit --settings cdk.json`` judges with it. Only those pure modules are built
  into the package (``STACK_MODULES``); the CDK constructs stay out.
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ASL_PACKAGE = "notebook_guard_local.statemachine"
STACK_PACKAGE = "notebook_guard_local.stack"
STACK_MODULES = {"__init__", "settings", "constants"}


class BuildPy(build_py):
    """Build only the pure modules of ``infra/`` into ``notebook_guard_local.stack``."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        if package == STACK_PACKAGE:
            modules = [module for module in modules if module[1] in STACK_MODULES]
        return modules


def packages_under(root: str) -> dict[str, str]:
    return {package: f"{root}/{package.replace('.', '/')}" for package in find_packages(root)}


package_dir = {**packages_under("lambdas"), **packages_under("local")}
package_dir.update({ASL_PACKAGE: "infra/statemachine", STACK_PACKAGE: "infra"})

setup(
    packages=sorted(package_dir),
    package_dir=package_dir,
    package_data={ASL_PACKAGE: ["*.asl.json"]},
    cmdclass={"build_py": BuildPy},
)
