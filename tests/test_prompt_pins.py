"""A released prompt never changes: each file of a released version is pinned here
by its SHA-256. A new wording is a new version (``system_v3.md``, ...), never an
edit, so a stored generation can always say which prompt produced it. When a new
version is released, add its files' hashes here."""
from __future__ import annotations

import hashlib

from generator import prompts

PINS = {
    "create_v1.md": "011e3cb126fff1c1dcda3ace8bf168c7a9124be2091618f569dd2c72a62903b4",
    "edit_retry_v1.md": "46eb9254285bb6e937b22c26e6797eebb7946e1941a5dc1baff7acaeb3ab9930",
    "edit_v1.md": "6014cbc98711d7397c767685f283fcf3e9ce088f7c12cb179bcd68b8f6235553",
    "repair_v1.md": "1e76766a42f8c24e175d222b7c2dd04f870f1cadc51ad96345e240cf7070c08b",
    "rewrite_v1.md": "344a894de84149d01d2336e47a3751daac1f0d8647c89261cd0eb7d629bf1804",
    "system_v1.md": "2503bcb0b5117e6afe962d260026a0049965fe762ebdea0d46e2f5a70a301e63",
    "create_v2.md": "011e3cb126fff1c1dcda3ace8bf168c7a9124be2091618f569dd2c72a62903b4",
    "edit_retry_v2.md": "46eb9254285bb6e937b22c26e6797eebb7946e1941a5dc1baff7acaeb3ab9930",
    "edit_v2.md": "527b3a7748ac73954bfeb3cccf6ba8c21e84c8e8941f7a6c7bcf6ca0dadbf323",
    "repair_v2.md": "ea1b19961a51fcf4de24ff8f2b3b7a55b4ee4a87f4f1ae8ab187f109afef6993",
    "rewrite_v2.md": "7d733f4620af7e259aed668b127d5b8dde549b47a2e81fb9f5aa192ee6e918e9",
    "system_v2.md": "9ba88b4a1d94a58caa985e86f8fa6abeed57b3f5d3c0106b172dc9f483b9636e",
    "create_v3.md": "011e3cb126fff1c1dcda3ace8bf168c7a9124be2091618f569dd2c72a62903b4",
    "edit_retry_v3.md": "46eb9254285bb6e937b22c26e6797eebb7946e1941a5dc1baff7acaeb3ab9930",
    "edit_v3.md": "527b3a7748ac73954bfeb3cccf6ba8c21e84c8e8941f7a6c7bcf6ca0dadbf323",
    "repair_v3.md": "ea1b19961a51fcf4de24ff8f2b3b7a55b4ee4a87f4f1ae8ab187f109afef6993",
    "rewrite_v3.md": "7d733f4620af7e259aed668b127d5b8dde549b47a2e81fb9f5aa192ee6e918e9",
    "system_v3.md": "adf6088206059077c947614a783e643d692ad8c20407601616ac3e489a291496",
    "create_v4.md": "011e3cb126fff1c1dcda3ace8bf168c7a9124be2091618f569dd2c72a62903b4",
    "edit_retry_v4.md": "46eb9254285bb6e937b22c26e6797eebb7946e1941a5dc1baff7acaeb3ab9930",
    "edit_v4.md": "527b3a7748ac73954bfeb3cccf6ba8c21e84c8e8941f7a6c7bcf6ca0dadbf323",
    "repair_v4.md": "ea1b19961a51fcf4de24ff8f2b3b7a55b4ee4a87f4f1ae8ab187f109afef6993",
    "rewrite_v4.md": "7d733f4620af7e259aed668b127d5b8dde549b47a2e81fb9f5aa192ee6e918e9",
    "system_v4.md": "6e976f0ee21eb0d11fcce7cedf5fe0e31a6a0da357236f5ed8697b47276aa0f9",
}
RELEASED = sorted({name.rsplit("_", 1)[1].removesuffix(".md") for name in PINS})


def _files_of(version: str) -> list[str]:
    return sorted(p.name for p in prompts.HERE.glob(f"*_{version}.md"))


def test_released_prompt_files_are_unchanged():
    changed = [name for name, digest in PINS.items()
               if hashlib.sha256((prompts.HERE / name).read_bytes()).hexdigest() != digest]
    assert not changed, (f"released prompt files changed: {changed}; a new wording is a new "
                         "version, never an edit")


def test_every_file_of_a_released_version_is_pinned():
    for version in RELEASED:
        assert _files_of(version), f"released version {version} has no files"
        assert set(_files_of(version)) <= set(PINS), f"{version} has unpinned files"


def test_only_the_current_version_may_be_unreleased():
    unreleased = [v for v in prompts.versions() if v not in RELEASED]
    assert set(unreleased) <= {prompts.VERSION}, unreleased
    assert prompts.VERSION in prompts.versions()
