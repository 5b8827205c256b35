// Review moderation: flags reviews that break the house rules before they are published.
import OpenAI from "openai";

const client = new OpenAI();
const RULES = "No spoilers without a warning, no personal attacks, no links, no prices.";

export async function moderate(review: string): Promise<string> {
  const completion = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: `You moderate book reviews. House rules: ${RULES} Reply ok or the broken rule.` },
      { role: "user", content: review },
    ],
    max_tokens: 10,
  });
  return completion.choices[0].message.content ?? "ok";
}
