"""The 37 subcategories in 4 main categories, with what each sells for and how often.

Columns: category id (PX_CAT_G1V2 `ID`), category, subcategory, maintenance, number of product
numbers, price range (whole currency units), product line codes, product-number prefix, and
a popularity weight for the whole subcategory (bikes expensive and rare, accessories cheap
and frequent). The counts add up to 295 product numbers, as in the public extract.
"""

from __future__ import annotations

from typing import NamedTuple


class Subcategory(NamedTuple):
    id: str
    category: str
    subcategory: str
    maintenance: str
    products: int
    price_low: int
    price_high: int
    lines: str
    prefix: str
    popularity: float


SUBCATEGORIES: tuple[Subcategory, ...] = tuple(
    Subcategory(*row)
    for row in (
        ("AC_BR", "Accessories", "Bike Racks", "Yes", 1, 110, 130, "S", "RA", 1.0),
        ("AC_BS", "Accessories", "Bike Stands", "Yes", 1, 150, 165, "S", "ST", 0.8),
        ("AC_BC", "Accessories", "Bottles and Cages", "No", 4, 5, 12, "SS", "BC", 9.0),
        ("AC_CL", "Accessories", "Cleaners", "Yes", 1, 7, 9, "S", "CL", 2.0),
        ("AC_FE", "Accessories", "Fenders", "No", 1, 20, 24, "S", "FE", 2.0),
        ("AC_HE", "Accessories", "Helmets", "Yes", 4, 30, 40, "S", "HL", 8.0),
        ("AC_HP", "Accessories", "Hydration Packs", "No", 1, 50, 60, "S", "HY", 1.5),
        ("AC_LI", "Accessories", "Lights", "Yes", 4, 15, 45, "S", "LT", 1.0),
        ("AC_LO", "Accessories", "Locks", "Yes", 1, 22, 28, "S", "LO", 1.0),
        ("AC_PA", "Accessories", "Panniers", "No", 1, 95, 110, "S", "PA", 0.5),
        ("AC_PU", "Accessories", "Pumps", "Yes", 2, 18, 26, "S", "PU", 1.0),
        ("AC_TT", "Accessories", "Tires and Tubes", "Yes", 10, 3, 35, "MRTS", "TT", 14.0),
        ("BI_MB", "Bikes", "Mountain Bikes", "Yes", 32, 540, 3400, "M", "BK", 4.0),
        ("BI_RB", "Bikes", "Road Bikes", "Yes", 38, 540, 3580, "R", "BK", 5.0),
        ("BI_TB", "Bikes", "Touring Bikes", "Yes", 22, 740, 2380, "T", "BK", 2.0),
        ("CL_BS", "Clothing", "Bib-Shorts", "No", 3, 80, 90, "S", "SB", 0.5),
        ("CL_CA", "Clothing", "Caps", "No", 1, 8, 10, "S", "CA", 3.0),
        ("CL_GL", "Clothing", "Gloves", "No", 5, 20, 50, "MS", "GL", 1.5),
        ("CL_JE", "Clothing", "Jerseys", "No", 10, 45, 55, "SM", "LJ", 3.0),
        ("CL_SH", "Clothing", "Shorts", "No", 7, 60, 75, "SM", "SH", 1.0),
        ("CL_SO", "Clothing", "Socks", "No", 5, 8, 12, "MS", "SO", 1.0),
        ("CL_TI", "Clothing", "Tights", "No", 3, 70, 80, "S", "TG", 0.3),
        ("CL_VE", "Clothing", "Vests", "No", 4, 60, 70, "S", "VE", 0.5),
        ("CO_HB", "Components", "Handlebars", "Yes", 10, 40, 120, "MRT", "HB", 0.3),
        ("CO_BB", "Components", "Bottom Brackets", "Yes", 3, 50, 120, "MRT", "BB", 0.2),
        ("CO_BR", "Components", "Brakes", "Yes", 2, 60, 110, "R", "BR", 0.2),
        ("CO_CH", "Components", "Chains", "Yes", 1, 20, 25, "R", "CH", 0.2),
        ("CO_CS", "Components", "Cranksets", "Yes", 3, 200, 400, "R", "CS", 0.1),
        ("CO_DE", "Components", "Derailleurs", "Yes", 4, 50, 120, "R", "DE", 0.1),
        ("CO_FO", "Components", "Forks", "Yes", 3, 150, 380, "R", "FK", 0.1),
        ("CO_HS", "Components", "Headsets", "Yes", 3, 35, 125, "R", "HS", 0.1),
        ("CO_MF", "Components", "Mountain Frames", "Yes", 24, 250, 1365, "M", "FR", 0.3),
        ("CO_PD", "Components", "Pedals", "Yes", 9, 40, 180, "MRT", "PD", 0.3),
        ("CO_RF", "Components", "Road Frames", "Yes", 28, 180, 1430, "R", "FR", 0.3),
        ("CO_SA", "Components", "Saddles", "Yes", 12, 25, 65, "MRT", "SE", 0.3),
        ("CO_TF", "Components", "Touring Frames", "Yes", 14, 330, 1000, "T", "FR", 0.2),
        ("CO_WH", "Components", "Wheels", "Yes", 18, 35, 330, "MRT", "WH", 0.3),
    )
)

# Product-name stems per subcategory, and the sizes/variants a model comes in.
SIZES = {"Bikes": ("38", "40", "42", "44", "46", "48", "52"), "Clothing": ("S", "M", "L", "XL")}
FRAME_SIZES = ("38", "40", "42", "44", "46", "48", "50", "52", "54", "56", "58", "60", "62")
COLORS = ("Black", "Red", "Silver", "Yellow", "Blue", "Multi")
GRADES = ("LL", "ML", "HL")
