"""Order emails: pulls the order number and the books mentioned, as JSON."""

from google import genai
from google.genai import types

client = genai.Client()


def extract_order(email: str) -> str:
    result = client.models.generate_content(
        model="gemini-3-flash-preview",
        contents=f"Extract the order number and the book titles from this email:\n\n{email}",
        config=types.GenerateContentConfig(
            system_instruction='Reply with JSON: {"order": string | null, "titles": [string]}.',
        ),
    )
    return result.text or "{}"
