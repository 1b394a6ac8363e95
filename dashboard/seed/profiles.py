"""Constants that shape the demo data set of :mod:`dashboard.seed`: who the users are, what they buy,
when, and how the Expense Tracker API answers.

Amounts are medians in US dollars; :data:`CURRENCIES` scales them by a price level per currency. Tables
indexed by category follow :data:`CATEGORIES`; tables indexed by month start at January.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORIES: tuple[str, ...] = (
    "Food", "Groceries", "Transport", "Housing", "Utilities", "Entertainment",
    "Shopping", "Health", "Travel", "Education", "Subscriptions", "Other",
)  # fmt: skip
CAT = {name: i for i, name in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class Currency:
    """How a currency scales US-dollar medians and how its amounts are rounded."""

    price_level: float
    decimals: int
    budget_step: float


CURRENCIES: dict[str, Currency] = {
    "USD": Currency(1.0, 2, 10),
    "EUR": Currency(0.95, 2, 10),
    "GBP": Currency(0.82, 2, 10),
    "INR": Currency(35.0, 2, 500),
    "JPY": Currency(130.0, 0, 1000),
    "AUD": Currency(1.45, 2, 10),
    "BRL": Currency(3.2, 2, 50),
}


@dataclass(frozen=True)
class Zone:
    """A user timezone with the currency and name pool of its region; ``weight`` is its user share."""

    name: str
    currency: str
    region: str
    weight: float


ZONES: tuple[Zone, ...] = (
    Zone("UTC", "USD", "intl", 0.30),
    Zone("America/New_York", "USD", "us", 0.14),
    Zone("America/Chicago", "USD", "us", 0.05),
    Zone("America/Los_Angeles", "USD", "us", 0.10),
    Zone("Europe/London", "GBP", "uk", 0.09),
    Zone("Europe/Berlin", "EUR", "de", 0.08),
    Zone("Europe/Paris", "EUR", "fr", 0.04),
    Zone("Asia/Kolkata", "INR", "in", 0.08),
    Zone("Asia/Tokyo", "JPY", "jp", 0.05),
    Zone("Australia/Sydney", "AUD", "au", 0.04),
    Zone("America/Sao_Paulo", "BRL", "br", 0.03),
)
ZONE_INDEX = {zone.name: i for i, zone in enumerate(ZONES)}

_US_FIRST = (
    "James Mary Michael Jennifer David Jessica Chris Ashley Daniel Emily Tyler Megan Kevin Olivia"
)
_US_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Lee Walker Young"
)
_UK_FIRST = "Oliver Amelia Harry Isla George Ava Jack Poppy Charlie Freya Noah Grace"
_UK_LAST = "Taylor Wilson Evans Thomas Roberts Wright Hughes Edwards Clarke Patel Walsh Green"
NAMES: dict[str, tuple[str, str]] = {
    "us": (_US_FIRST, _US_LAST),
    "uk": (_UK_FIRST, _UK_LAST),
    "au": (_UK_FIRST + " Chloe Liam Mia", _US_LAST + " O'Brien Kelly"),
    "de": (
        "Lukas Anna Leon Lea Jonas Lena Felix Marie Björn Jürgen Sophie Paul",
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Koch Hoffmann",
    ),
    "fr": (
        "Louis Chloé Hugo Léa Gabriel Manon Jules Zoé Théo Inès Camille",
        "Martin Bernard Dubois Thomas Robert Petit Durand Leroy Moreau Lefèvre Girard",
    ),
    "in": (
        "Aarav Priya Vivaan Ananya Arjun Diya Rohan Isha Karthik Sneha Aditya Kavya",
        "Sharma Patel Singh Kumar Iyer Reddy Gupta Nair Mehta Rao Banerjee",
    ),
    "jp": (
        "Haruto Yui Sota Hina Ren Sakura Kaito Aoi Yuto Mei Riku",
        "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato",
    ),
    "br": (
        "João Maria Pedro Ana Lucas Júlia Mateus Beatriz Gabriel Larissa",
        "Silva Santos Oliveira Souza Lima Pereira Costa Rodrigues Almeida",
    ),
}
NAMES["intl"] = (
    " ".join(first for first, _ in NAMES.values()),
    " ".join(last for _, last in NAMES.values()),
)
#: Reserved example domains (RFC 2606), so no seeded address can reach a real mailbox.
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net", "mail.example")


# --- spending habits -----------------------------------------------------------------------------
#: Dirichlet base weights of discretionary categories (bills and subscriptions are scheduled instead).
MIX_ALPHA = np.array([6.0, 5.0, 4.0, 0.4, 0.0, 2.5, 3.0, 1.0, 0.7, 0.5, 0.0, 1.0])
#: How much likelier each category is on a weekend day than on a weekday.
WEEKEND_MULT = np.array([1.25, 1.15, 0.75, 1.4, 1.0, 1.9, 1.35, 0.6, 1.2, 0.5, 1.0, 0.9])
#: Expense volume by weekday (Monday first) and by month; both averaged to 1.
WEEKDAY_VOLUME = np.array([0.88, 0.9, 0.93, 0.97, 1.1, 1.25, 0.97])
WEEKDAY_VOLUME = WEEKDAY_VOLUME / WEEKDAY_VOLUME.mean()
MONTH_VOLUME = np.array([0.9, 0.88, 0.95, 0.97, 1.0, 1.02, 1.05, 1.04, 0.97, 0.98, 1.07, 1.32])
MONTH_VOLUME = MONTH_VOLUME / MONTH_VOLUME.mean()


def _by_month(spec: dict[str, dict[int, float]]) -> np.ndarray:
    """A (12 months x categories) multiplier table, 1 where ``spec`` says nothing."""
    table = np.ones((12, len(CATEGORIES)))
    for category, months in spec.items():
        for month, factor in months.items():
            table[month - 1, CAT[category]] = factor
    return table


#: Category likelihood by month: December gifts and holidays, summer travel, January resolutions.
SEASON_MIX = _by_month({
    "Shopping": {1: 0.8, 11: 1.45, 12: 2.3},
    "Travel": {2: 0.7, 6: 1.4, 7: 1.8, 8: 1.7, 12: 2.0},
    "Entertainment": {12: 1.25},
    "Food": {12: 1.15},
    "Groceries": {12: 1.1},
    "Health": {1: 1.35},
    "Education": {1: 1.3, 7: 0.6, 9: 1.9},
})  # fmt: skip
#: Amount multiplier by month (bigger gifts and holiday trips).
SEASON_AMOUNT = _by_month({
    "Shopping": {11: 1.15, 12: 1.35}, "Travel": {7: 1.15, 12: 1.25}, "Food": {12: 1.1},
})  # fmt: skip


def _hours(*segments: tuple[int, int, float]) -> np.ndarray:
    """Local hour-of-day probabilities: a quiet night floor plus ``(from, to, weight)`` segments."""
    weights = np.full(24, 0.03)
    weights[:6] = 0.004
    for lo, hi, weight in segments:
        weights[lo:hi] += weight
    return weights / weights.sum()


_DAY = (9, 21, 1.0)
#: Local hour-of-day distribution per category: [weekday, weekend].
HOURS: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "Food": (
        _hours((7, 10, 0.6), (12, 14, 1.6), (14, 18, 0.15), (18, 21, 1.2), (21, 23, 0.3)),
        _hours((9, 12, 0.9), (12, 15, 0.8), (19, 22, 1.3), (22, 24, 0.3)),
    ),
    "Groceries": (_hours((11, 17, 0.3), (17, 21, 1.0)), _hours((9, 17, 0.9), (17, 20, 0.4))),
    "Transport": (
        _hours((7, 10, 1.2), (17, 20, 1.1), (22, 24, 0.2)),
        _hours((10, 23, 0.5), (23, 24, 0.6), (0, 2, 0.2)),
    ),
    "Entertainment": (_hours((18, 23, 1.0)), _hours((13, 18, 0.5), (18, 24, 1.0))),
    "Shopping": (_hours((11, 21, 1.0)), _hours((10, 19, 1.2))),
    "Health": (_hours((8, 18, 1.0)), _hours((9, 14, 0.8))),
}
for _name in CATEGORIES:
    HOURS.setdefault(_name, (_hours(_DAY), _hours(_DAY)))

# --- descriptions ----------------------------------------------------------------------------------
#: (description, median amount in USD, log-normal sigma, relative frequency)
Entry = tuple[str, float, float, float]
#: Food by meal: breakfast before 11:00, lunch before 16:00, dinner and drinks after.
FOOD_SLOT_HOURS = (11, 16)
FOOD_SLOTS: tuple[list[Entry], list[Entry], list[Entry]] = (
    [("Coffee at Blue Bottle", 5.5, 0.2, 3), ("Starbucks latte", 6, 0.2, 3),
     ("Bagel & coffee", 8, 0.25, 1.5), ("Breakfast at Le Pain Quotidien", 18, 0.3, 1),
     ("Croissant at Café Rio", 6.5, 0.25, 1), ("Smoothie", 8, 0.2, 0.8)],
    [("Lunch at Café Rio", 15, 0.3, 2), ("Burrito at Chipotle", 13, 0.2, 2),
     ("Salad at Sweetgreen", 15, 0.2, 1.5), ("Sushi lunch", 18, 0.3, 1),
     ("Lunch with colleagues", 22, 0.35, 1), ("Food truck tacos", 12, 0.25, 1),
     ("Bánh mì at Saigon Deli", 11, 0.2, 0.8), ("Sandwich", 10, 0.25, 1.5)],
    [("Dinner at Trattoria Roma", 48, 0.35, 1), ("Pizza delivery", 28, 0.3, 2),
     ("Thai takeout", 26, 0.3, 1.5), ("Dinner at Sakura Sushi", 55, 0.35, 0.8),
     ("Burger at Shake Shack", 18, 0.25, 1), ("Uber Eats order", 32, 0.35, 2),
     ("Drinks at The Crown", 30, 0.4, 1), ("Ramen at Ichiran", 20, 0.2, 0.8),
     ("Afternoon coffee", 5, 0.2, 1.2), ("Ice cream", 7, 0.25, 0.5)],
)  # fmt: skip
VOCAB: dict[str, list[Entry]] = {
    "Groceries": [("Whole Foods", 85, 0.5, 2), ("Trader Joe's", 60, 0.45, 2),
                  ("Costco run", 180, 0.45, 0.6), ("Weekly groceries", 95, 0.4, 2),
                  ("Farmers market", 35, 0.4, 0.8), ("Corner store", 14, 0.4, 1.2),
                  ("Lidl", 45, 0.4, 1), ("Bakery", 9, 0.3, 0.8)],
    "Transport": [("Uber ride", 19, 0.45, 3), ("Lyft ride", 17, 0.45, 1.2),
                  ("Metro card top-up", 30, 0.2, 1.5), ("Gas station", 48, 0.3, 2),
                  ("Parking", 12, 0.5, 1.5), ("Train ticket", 28, 0.5, 0.8),
                  ("Bike share", 4, 0.3, 0.7), ("Car wash", 15, 0.2, 0.3), ("Toll", 6, 0.3, 0.5)],
    "Housing": [("Home repairs", 140, 0.7, 1), ("IKEA", 120, 0.7, 1), ("Cleaning service", 90, 0.3, 1),
                ("Hardware store", 38, 0.6, 1.2), ("Plants", 25, 0.4, 0.5)],
    "Utilities": [("Phone top-up", 20, 0.3, 1)],
    "Entertainment": [("Movie tickets", 28, 0.3, 2), ("Concert tickets", 85, 0.5, 0.6),
                      ("Bowling", 35, 0.3, 0.5), ("Steam game", 30, 0.5, 0.8), ("Museum", 22, 0.3, 0.6),
                      ("Bar tab", 45, 0.5, 1.5), ("Theatre tickets", 95, 0.4, 0.3),
                      ("Escape room", 40, 0.2, 0.3), ("Book", 18, 0.3, 0.8)],
    "Shopping": [("Amazon order", 42, 0.8, 3), ("Clothes at Zara", 70, 0.5, 1.2), ("Uniqlo", 55, 0.4, 0.8),
                 ("Shoes", 95, 0.4, 0.6), ("Electronics at Best Buy", 180, 0.8, 0.4),
                 ("Gift", 45, 0.6, 0.8), ("Target", 55, 0.6, 1.2), ("Home décor", 48, 0.5, 0.5)],
    "Health": [("Pharmacy", 22, 0.6, 2), ("Doctor co-pay", 35, 0.3, 0.8), ("Dentist", 150, 0.5, 0.3),
               ("Vitamins", 25, 0.3, 0.6), ("Yoga class", 22, 0.2, 0.8), ("Physiotherapy", 80, 0.3, 0.3),
               ("Glasses", 220, 0.4, 0.1)],
    "Travel": [("Flight tickets", 380, 0.5, 1), ("Hotel", 180, 0.5, 1.2), ("Airbnb", 240, 0.5, 0.8),
               ("Rental car", 160, 0.4, 0.5), ("Travel insurance", 45, 0.3, 0.3),
               ("Airport taxi", 55, 0.3, 0.8), ("Souvenirs", 30, 0.5, 0.5)],
    "Education": [("Online course", 40, 0.6, 1.2), ("Textbooks", 65, 0.4, 0.8),
                  ("Language class", 55, 0.3, 0.6), ("Workshop ticket", 90, 0.5, 0.4),
                  ("School supplies", 25, 0.5, 0.6)],
    "Subscriptions": [("App Store purchase", 5, 0.6, 1)],
    "Other": [("ATM withdrawal", 60, 0.5, 1), ("Haircut", 35, 0.3, 1.5), ("Laundry", 12, 0.3, 1),
              ("Charity donation", 25, 0.6, 0.6), ("Post office", 9, 0.5, 0.6),
              ("Pet supplies", 35, 0.5, 0.8), ("Bank fee", 5, 0.3, 0.3)],
}  # fmt: skip

_UTILITY_SEASON = (1.3, 1.25, 1.1, 0.95, 0.9, 1.05, 1.2, 1.2, 1.0, 0.95, 1.1, 1.3)
_HEATING_SEASON = (1.8, 1.7, 1.3, 0.9, 0.6, 0.4, 0.35, 0.35, 0.5, 0.9, 1.4, 1.8)
_FLAT = (1.0,) * 12


@dataclass(frozen=True)
class Recurring:
    """A bill paid on a fixed day of the month; ``group`` items exclude each other (rent xor mortgage).

    The amount is ``median`` x the user's spending level ** ``elasticity`` x a per-user log-normal
    factor (``spread``), then each month x ``season`` x a log-normal ``noise`` (0: stable amount).
    """

    category: str
    description: str
    share: float
    median: float
    spread: float = 0.0
    elasticity: float = 0.0
    noise: float = 0.0
    season: tuple[float, ...] = _FLAT
    group: str = ""
    first_of_month: float = 0.0  # chance the due day is the 1st (else uniform 1-28)


RECURRING: tuple[Recurring, ...] = (
    Recurring("Housing", "Rent", 0.72, 1500, 0.3, 0.6, group="home", first_of_month=0.7),
    Recurring(
        "Housing", "Mortgage payment", 0.14, 1800, 0.3, 0.6, group="home", first_of_month=0.5
    ),
    Recurring("Utilities", "Electricity bill", 0.85, 75, 0.3, 0.3, 0.1, _UTILITY_SEASON),
    Recurring("Utilities", "Internet", 0.8, 60, 0.2),
    Recurring("Utilities", "Phone bill", 0.85, 45, 0.3),
    Recurring("Utilities", "Water bill", 0.35, 38, 0.3, 0.2, 0.1),
    Recurring("Utilities", "Gas bill", 0.3, 55, 0.35, 0.3, 0.15, _HEATING_SEASON),
    Recurring("Subscriptions", "Netflix", 0.55, 15.49),
    Recurring("Subscriptions", "Spotify", 0.5, 11.99),
    Recurring("Subscriptions", "iCloud storage", 0.3, 2.99),
    Recurring("Subscriptions", "Disney+", 0.2, 13.99),
    Recurring("Subscriptions", "YouTube Premium", 0.15, 13.99),
    Recurring("Subscriptions", "Amazon Prime", 0.3, 14.99),
    Recurring("Subscriptions", "ChatGPT Plus", 0.12, 20.0),
    Recurring("Subscriptions", "New York Times", 0.08, 17.0),
    Recurring("Health", "Gym membership", 0.3, 45, 0.3, 0.3),
)
#: Categories a budget may be set on, ranked per user by expected spend.
BUDGET_CATEGORIES = np.array(
    [CAT[c] for c in CATEGORIES if c not in ("Housing", "Utilities", "Subscriptions")]
)


# --- the Expense Tracker API ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """One route of the API with its log-normal latency and response size."""

    method: str
    route: str
    latency_ms: float
    latency_sigma: float
    db_share: float  # mean share of the latency spent in the database
    bytes: float
    anonymous: bool = False


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/api/auth/login", 210, 0.25, 0.1, 480, anonymous=True),
    Endpoint("POST", "/api/auth/register", 260, 0.25, 0.15, 420, anonymous=True),
    Endpoint("GET", "/api/expenses", 38, 0.45, 0.6, 9000),
    Endpoint("POST", "/api/expenses", 24, 0.4, 0.5, 380),
    Endpoint("GET", "/api/expenses/:id", 12, 0.4, 0.5, 400),
    Endpoint("PUT", "/api/expenses/:id", 22, 0.4, 0.5, 390),
    Endpoint("DELETE", "/api/expenses/:id", 18, 0.4, 0.5, 0),
    Endpoint("GET", "/api/expenses/stats", 140, 0.55, 0.8, 1800),
    Endpoint("GET", "/api/budgets", 20, 0.4, 0.6, 1100),
    Endpoint("GET", "/api/users/me", 9, 0.35, 0.4, 520),
    Endpoint("GET", "/api/health", 2.5, 0.3, 0.3, 42, anonymous=True),
)
LOGIN, REGISTER, LIST, CREATE, READ, UPDATE, DELETE, STATS, BUDGETS, ME, HEALTH = range(
    len(ENDPOINTS)
)
#: Status of a successful call per endpoint.
OK_STATUS = np.array([200, 201, 200, 201, 200, 200, 204, 200, 200, 200, 200], dtype=np.int16)
