"""The values of the CLI's enumerated options, as ``Literal`` types so that ``--help`` shows
them (``[classic|diffusers|import|openai]``) without importing the library that defines them.

``tests/foundation/test_cli_vocabulary.py`` checks each against the library's own list
(backends, policies, backbones, the evaluation config's literals, the seed pools), so they
cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Backbone", "Backend", "CacheMode", "Device", "Dtype", "Executor", "Policy", "Pool",
           "QualificationChoice", "Selection", "SignatureMethod", "TableFormat"]

Backend = Literal["classic", "diffusers", "import", "openai"]
Executor = Literal["local", "ray"]
Policy = Literal["first-k"]
Backbone = Literal["efficientnet-lite0", "vgg16"]
Selection = Literal["faithful", "clean"]
CacheMode = Literal["cached", "exact"]
Dtype = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda", "mps"]
Pool = Literal["csv", "workspace"]
SignatureMethod = Literal["key", "certificate"]
#: a reviewer's stated qualification (schemas.QUALIFICATIONS)
QualificationChoice = Literal["dermatologist", "resident", "other clinician", "non-clinician"]
#: text formats of a table; JSON is always `--json`
TableFormat = Literal["md", "csv"]
