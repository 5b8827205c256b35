"""Support inbox: routes each ticket to a queue; the instructions live in prompts/triage.txt."""

import os
from pathlib import Path

import anthropic

PROMPTS = Path(__file__).parent / "prompts"


class Triage:
    def __init__(self) -> None:
        self.client = anthropic.Anthropic()
        self.model = os.getenv("TRIAGE_MODEL", "claude-haiku-4-5")
        self.instructions = (PROMPTS / "triage.txt").read_text()

    def route(self, ticket: str) -> str:
        reply = self.client.messages.create(
            model=self.model,
            max_tokens=20,
            system=self.instructions,
            messages=[{"role": "user", "content": f"Ticket:\n{ticket}"}],
        )
        return reply.content[0].text
