"""The assistant: providers (Anthropic, offline), the chat loop, tools, context building, memory and check-in AI.

Nothing here is imported by the everyday commands; heavy libraries load inside the functions that need them.
"""
