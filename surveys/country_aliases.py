"""Names people actually type for States, beyond the UN and ISO names in the registry.

Keys are written plainly; the resolver normalises them like any input (case,
accents, punctuation, articles). Values are ISO alpha-3 codes. ``NON_MEMBER_ALIASES``
are territories and entities that are not UN Member States or observer States:
the resolver refuses them with that reason rather than calling them unknown.
"""

STATE_ALIASES = {
    # English colloquial and former names
    "Ivory Coast": "CIV", "Cote d Ivoire": "CIV",
    "Turkey": "TUR", "Turkiye": "TUR",
    "Swaziland": "SWZ",
    "Czech Republic": "CZE", "Czechia": "CZE",
    "South Korea": "KOR", "Korea, South": "KOR", "Korea (South)": "KOR", "Korea Republic": "KOR",
    "ROK": "KOR",
    "North Korea": "PRK", "Korea, North": "PRK", "Korea (North)": "PRK", "DPRK": "PRK",
    "DPR Korea": "PRK",
    "Vatican": "VAT", "Vatican City": "VAT", "Vatican City State": "VAT",
    "Palestine": "PSE", "Palestinian Territories": "PSE",
    "Laos": "LAO", "Lao PDR": "LAO", "Lao": "LAO",
    "Vietnam": "VNM",
    "Russia": "RUS",
    "UK": "GBR", "U.K.": "GBR", "United Kingdom": "GBR", "Great Britain": "GBR", "Britain": "GBR",
    "USA": "USA", "U.S.A.": "USA", "US": "USA", "U.S.": "USA", "United States": "USA",
    "Cape Verde": "CPV",
    "East Timor": "TLS", "Timor Leste": "TLS",
    "Burma": "MMR",
    "Macedonia": "MKD", "FYROM": "MKD",
    "Bolivia": "BOL", "Venezuela": "VEN", "Iran": "IRN", "Syria": "SYR", "Tanzania": "TZA",
    "Moldova": "MDA", "Micronesia": "FSM", "Brunei": "BRN",
    "Congo-Brazzaville": "COG", "Congo Brazzaville": "COG", "Republic of Congo": "COG",
    "Congo-Kinshasa": "COD", "Congo Kinshasa": "COD", "DR Congo": "COD", "DRC": "COD",
    "Zaire": "COD",
    "UAE": "ARE", "Emirates": "ARE",
    "Gambia": "GMB", "Sao Tome": "STP",
    "St Kitts and Nevis": "KNA", "Saint Kitts": "KNA", "St Lucia": "LCA",
    "St Vincent and the Grenadines": "VCT", "Saint Vincent": "VCT",
    "Bosnia": "BIH", "Trinidad": "TTO", "Antigua": "ATG",
    "Holland": "NLD", "The Netherlands": "NLD",
    "Kyrgyzstan": "KGZ", "Kirghizia": "KGZ",
    # UN short name since 2022 ("Netherlands (Kingdom of the)") and ISO "Name, Qualifier" order
    "Netherlands (Kingdom of the)": "NLD", "Korea, Republic of": "KOR",
    "Korea, Democratic People's Republic of": "PRK", "Moldova, Republic of": "MDA",
    # French
    "Etats-Unis": "USA", "Royaume-Uni": "GBR", "Russie": "RUS", "Coree du Sud": "KOR",
    "Coree du Nord": "PRK", "Saint-Siege": "VAT", "Vatican (Cite du)": "VAT", "Turquie": "TUR",
    # Spanish
    "Estados Unidos": "USA", "EE.UU.": "USA", "Reino Unido": "GBR", "Rusia": "RUS",
    "Corea del Sur": "KOR", "Corea del Norte": "PRK", "Turquia": "TUR",
    # Russian
    "Россия": "RUS", "США": "USA", "Великобритания": "GBR", "Южная Корея": "KOR",
    "Северная Корея": "PRK", "Ватикан": "VAT", "Палестина": "PSE",
    # Chinese
    "美国": "USA", "英国": "GBR", "俄罗斯": "RUS", "韩国": "KOR", "朝鲜": "PRK", "梵蒂冈": "VAT",
    "巴勒斯坦": "PSE", "越南": "VNM", "刚果（金）": "COD",
    # Arabic
    "الولايات المتحدة": "USA", "المملكة المتحدة": "GBR", "روسيا": "RUS", "فلسطين": "PSE",
    "الفاتيكان": "VAT",
}

NON_MEMBER_ALIASES = [
    "Kosovo", "Republic of Kosovo", "Taiwan", "Republic of China", "Chinese Taipei", "ROC",
    "Hong Kong", "Hong Kong SAR", "Hong Kong SAR, China", "Hong Kong, China", "Macau", "Macao",
    "Macao SAR, China", "Taiwan, China", "Taiwan Province of China", "Puerto Rico",
    "Greenland", "Western Sahara",
    "Sahrawi Arab Democratic Republic", "Northern Cyprus", "Somaliland", "Abkhazia",
    "South Ossetia", "Transnistria", "Cook Islands", "Niue", "Scotland", "England", "Wales",
    "European Union", "EU", "Косово", "Тайвань", "台湾", "香港", "كوسوفو",
]
