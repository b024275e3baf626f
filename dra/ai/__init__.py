"""The AI data modeler's core (UC-AI-01..09): no Flask, no Dagster.

Modules, each importing only those listed before it:

- ``errors``: AIError (400), AIProviderError (502), AINotConfigured (503), the messages;
- ``provider``: the one place that builds the model client (Gemini through
  ``google-genai``, or an OpenAI-compatible server through ``openai``):
  ``build_provider(settings).generate(system, history, schema) -> ProviderAnswer``;
- ``usage``: the tier's monthly AI generations (``check_generations``,
  ``count_generation`` in ``app.ai_usage``), shared with ``dra.insights``;
- ``context``: the project's schema as Markdown with what the platform knows, within a
  budget (``build_context``), and the system prompt around it;
- ``querymap``: a simple SELECT turned into the query builder's ``query_json``;
- ``answers``: the structured answer (analysis, model, SQL, unresolved), parsed, then
  checked and run like hand-written SQL, with a bounded correction loop (``propose``);
- ``sessions``: the service the web layer calls (initialize, chat, update_draft, state,
  save, discard, conversation_for_model, expire_sessions), sessions in ``app.ai_sessions``.
"""
