// Storefront chat: the same catalogue answers, streamed to the browser with the Vercel AI SDK.
import { openai } from "@ai-sdk/openai";
import { streamText } from "ai";

const SYSTEM = `You are the storefront assistant of Fable & Folio.
Answer in at most three sentences, using only the passages given.
Link a book as [Title](/books/slug) when you name it.`;

export async function POST(request: Request): Promise<Response> {
  const { question, passages } = await request.json();
  const result = streamText({
    model: openai("gpt-4o-mini"),
    system: SYSTEM,
    prompt: `Passages:\n${passages}\n\nQuestion: ${question}`,
    maxOutputTokens: 150,
  });
  return result.toTextStreamResponse();
}
