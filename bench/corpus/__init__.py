"""Labelled corpus sources for the benchmarks and the leave-family-out evaluation.

Every source must write the same bytes for a seed in any process. Faker's it_IT address provider
builds its city list from a set (``list({...})``), so its order, and the city a seeded Faker
draws, changed with PYTHONHASHSEED; templates-g and templates-j wrote different messages from
one run to the next. The list is sorted here, once, before any source draws from it.
"""

from faker.providers.address.it_IT import Provider as _ItAddress

_ItAddress.cities = sorted(_ItAddress.cities)
