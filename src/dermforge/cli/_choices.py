"""The values of the CLI's enumerated options, as ``Literal`` types so that ``--help`` shows
them (``[classic|import|openai]``) without importing the library that defines them.

``tests/foundation/test_cli_vocabulary.py`` checks each against the library's own list
(backends, policies, backbones, the evaluation config's literals, the seed pools), so they
cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Backbone", "Backend", "CacheMode", "Device", "Dtype", "Policy", "Pool", "Selection",
           "TableFormat"]

Backend = Literal["classic", "import", "openai"]
Policy = Literal["first-k"]
Backbone = Literal["efficientnet-lite0", "vgg16"]
Selection = Literal["faithful", "clean"]
CacheMode = Literal["cached", "exact"]
Dtype = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda", "mps"]
Pool = Literal["csv", "workspace"]
#: text formats of a table; JSON is always `--json`
TableFormat = Literal["md", "csv"]
