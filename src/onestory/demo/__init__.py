"""The seeded demo world (NovaHome): people, background traffic and scripted journeys.

Layout: ``people`` (who), ``engine`` (ids, emission, text), ``background`` (steady traffic),
``journeys/<name>`` (one scripted journey each), ``generator`` (public entry points that put
them together), ``phrases`` (data tables). Arrows point that way only; the package may use the
standard library and ``phonenumbers``, nothing else from onestory.
"""
