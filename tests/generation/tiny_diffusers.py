"""A tiny, randomly initialised Stable Diffusion inpainting pipeline, saved to a folder.

Real diffusers/transformers classes with tiny configs: a UNet with 9 input channels (4
latent + 1 mask + 4 masked-image latent), a two-block VAE, a 2-layer CLIP text encoder and
a CLIP tokenizer whose vocabulary and merges this module writes. Nothing is downloaded; the
outputs are noise, so tests check shapes, determinism and provenance, never beauty.
"""

from __future__ import annotations

import json
from pathlib import Path

_WORDS = ("an", "image", "of", "on", "the", "a", "person", "skin", "arm", "fair", "skinned",
          "brown", "dark", "psoriasis", "folliculitis", "basal", "cell", "carcinoma")


def _tokenizer(folder: Path) -> object:
    from transformers import CLIPTokenizer

    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for token in [f"{w}</w>" for w in _WORDS] + [
            t for c in "abcdefghijklmnopqrstuvwxyz.-," for t in (c, f"{c}</w>")]:
        vocab.setdefault(token, len(vocab))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"),
                         model_max_length=77)


def build_tiny_inpainting_pipeline(folder: Path, *, license: str | None = "mit") -> Path:
    """Save a tiny StableDiffusionInpaintPipeline under ``folder``; return it."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionInpaintPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32), layers_per_block=1, sample_size=16, in_channels=9,
        out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
        norm_num_groups=8, attention_head_dim=4)
    vae = AutoencoderKL(
        block_out_channels=[16, 32], in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
        norm_num_groups=8, sample_size=32)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37,
        num_attention_heads=4, num_hidden_layers=2, vocab_size=128, projection_dim=32))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012,
                              beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionInpaintPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=_tokenizer(folder / "tok"),
        scheduler=scheduler, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    model = folder / "tiny-sd-inpaint"
    pipe.save_pretrained(model)
    if license is not None:
        (model / "README.md").write_text(f"---\nlicense: {license}\n---\n# tiny test pipeline\n",
                                         encoding="utf-8")
    return model
