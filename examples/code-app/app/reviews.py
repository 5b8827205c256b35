"""Review digests: a LangChain chain that condenses a book's reviews for its product page."""

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)
prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "You write two-sentence review digests for a bookshop's product pages. "
                   "Be fair: mention the most common praise and the most common complaint."),
        ("human", "Book: {title}\n\nReviews:\n{reviews}"),
    ]
)
chain = prompt | llm | StrOutputParser()


def digest(title: str, reviews: str) -> str:
    return chain.invoke({"title": title, "reviews": reviews})
