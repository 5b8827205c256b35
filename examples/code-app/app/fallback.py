"""Gift notes: a short message for a gift card, through LiteLLM so the provider can change."""

import litellm


def gift_note(occasion: str, recipient: str) -> str:
    response = litellm.completion(
        model="claude-haiku-4-5",
        messages=[
            {"role": "user", "content": f"Write a two-line gift note for {recipient} ({occasion})."},
        ],
        max_tokens=60,
    )
    return response.choices[0].message.content
