"""Catalogue search: answers a shopper's question from the passages the index returned."""

from openai import OpenAI

ANSWER_MODEL = "gpt-4o-mini"
SYSTEM_PROMPT = """You are the search assistant of Fable & Folio, an online bookshop.
Answer the shopper's question using only the catalogue passages you are given.
Quote book titles exactly as they appear, with the author's name.
If the passages do not answer the question, say that you could not find it and suggest
one related search. Never invent prices, stock levels or delivery dates."""

client = OpenAI()


def answer(question: str, passages: str) -> str:
    response = client.chat.completions.create(
        model=ANSWER_MODEL,
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Passages:\n{passages}\n\nQuestion: {question}"},
        ],
        max_tokens=200,
    )
    return response.choices[0].message.content or ""
