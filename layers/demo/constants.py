"""The demo region's names, sources, clauses and the notes on each constructed site."""

from __future__ import annotations

CRS = "EPSG:4525"
LONLAT = "EPSG:4490"
COUNTY = "示范县"
REGION_NAME = "示范县（虚构）"
COUNTY_CODE = "149901"  # no such code exists: Shanxi's prefecture codes end at 1411
DATA_DATE = "2026-06-30"
PRODUCER = "示范县自然资源局（虚构）"
SOURCE_NR = "示范县自然资源局（虚构数据）"
SOURCE_EE = "示范县生态环境局（虚构数据）"
SOURCE_WATER = "示范县水利局（虚构数据）"
SOURCE_FOREST = "示范县林业局（虚构数据）"
SOURCE_TRANSPORT = "示范县交通运输局（虚构数据）"
MAIN_RIVER = "龙泉河"
TRIBUTARIES = ("东沟河", "西峪河", "石门河", "杨峪河", "青龙河", "南川河")
RESERVE = "示范县青龙山省级自然保护区"
WETLAND = "示范县龙泉河国家湿地公园"
URBAN_CENTRAL = "示范县中心城区城镇开发边界"
GPKG = "data/示范县.gpkg"
RED_LINE_SHP = "data/生态保护红线.shp"
RIVERS_GEOJSON = "data/rivers.geojson"
LANDCOVER_TIF = "data/landcover.tif"
SITES_GPKG = "sites/项目选址.gpkg"
PLAN_TXT = "示范县生态保护规划.txt"
TXT_SITES = ("01_示范县幸福里住宅小区.txt", "02_示范县农产品加工园.txt", "03_示范县东山风电场升压站.txt",
             "04_示范县城区安置房项目.txt")
PROJECT_MARKER = "# 示范县（虚构）: demo project written by `redline demo`"
LANDCOVER_CLASSES = {1: "耕地", 2: "林地", 3: "草地", 4: "水域", 5: "建设用地", 6: "未利用地"}
SITE_TYPES = ("linear_infrastructure", "tourism_education", "ecological_restoration", "mining",
              "industry_high_pollution", "industry", "housing", "energy", "water_works", "military",
              "residents_production")

# (name, 3-digit township code): 镇 1xx, 乡 2xx; 城关镇 hosts the county town.
TOWNSHIPS = (("城关镇", "100"), ("龙泉镇", "101"), ("河西镇", "102"), ("东岭镇", "103"), ("青龙镇", "104"),
             ("北川镇", "105"), ("石门乡", "200"), ("杨家庄乡", "201"), ("南沟乡", "202"), ("白马乡", "203"),
             ("红崖乡", "204"), ("三岔乡", "205"))

# GeoPackage layers: layer id → (table name, title)
GPKG_LAYERS = {
    "county": ("示范县县界", "示范县县级行政区界线（虚构）"),
    "townships": ("示范县乡镇界", "示范县乡镇级行政区（虚构）"),
    "protected_areas": ("示范县自然保护地功能分区", "示范县自然保护地功能分区（虚构）"),
    "river_ranges": ("示范县河道管理范围", "示范县河道管理范围（虚构）"),
    "shoreline_zones": ("示范县岸线功能区", "示范县河湖岸线功能分区（虚构）"),
    "urban_boundary": ("示范县城镇开发边界", "示范县城镇开发边界（虚构）"),
    "basic_farmland": ("示范县永久基本农田", "示范县永久基本农田保护图斑（虚构）"),
    "control_units": ("示范县生态环境管控单元", "示范县“三线一单”生态环境管控单元（虚构）"),
    "water_sources": ("示范县饮用水水源保护区", "示范县饮用水水源保护区（虚构）"),
    "roads": ("示范县道路", "示范县主要道路（虚构）"),
    "towns": ("示范县城镇", "示范县县城及乡镇驻地（虚构）"),
}

CLAUSES = {
    "优先保护单元": {
        "KJBJYS": "执行生态保护红线和自然保护地管控要求：红线内除国家重大项目和有限人为活动外，禁止开发性、"
                  "生产性建设活动；禁止新建、扩建工业项目和矿产资源开发项目。",
        "WRWPFGK": "不得新增污染物排放；现有排放源限期整治或退出。",
        "HJFXFK": "禁止新建涉及有毒有害物质的建设项目；加强森林草原防火和地质灾害防控。",
        "ZYKFLYXL": "严格控制取水量，禁止新增地下水开采；保障河道生态流量。",
    },
    "重点管控单元": {
        "KJBJYS": "县城规划区禁止新建、改建、扩建焦化、钢铁、化工、有色金属冶炼、水泥等污染较重项目，"
                  "以及危险化学品贮存、处理处置等高风险项目；工业项目向园区集中。",
        "WRWPFGK": "新建项目污染物排放实行区域倍量削减；城镇污水全部收集处理。",
        "HJFXFK": "涉危险化学品企业编制突发环境事件应急预案并开展隐患排查。",
        "ZYKFLYXL": "严格执行用水定额和能耗双控要求；推广中水回用。",
    },
    "一般管控单元": {
        "KJBJYS": "落实普适性生态环境保护要求；严格控制新增工业用地，禁止在河道管理范围内新建排污口。",
        "WRWPFGK": "农村生活污水和畜禽养殖废弃物资源化利用，控制农业面源污染。",
        "HJFXFK": "加强农用地土壤污染风险管控。",
        "ZYKFLYXL": "推广高效节水灌溉，提高农业用水效率。",
    },
}
UNIT_DIGIT = {"优先保护单元": "1", "重点管控单元": "2", "一般管控单元": "3"}

# What each site is built to show: (id, type, construction zh, construction en, expected verdict, why zh, why en)
SITE_NOTES = {
    "SF-01": ("linear_infrastructure", "县道改线，线路穿越一处生态保护红线图斑，两端均在红线外",
              "a county-road realignment crossing one red-line polygon, both ends outside the red line",
              "需论证", "线性基础设施属有限人为活动第6项（确实无法避让、符合县级以上国土空间规划），需不可避让论证和省级认定意见",
              "linear infrastructure is limited activity 6 of 自然资发〔2022〕142号: needs the no-alternative "
              "assessment and the provincial confirmation opinion"),
    "SF-02": ("water_works", "供水管线，横穿龙泉河河道管理范围和岸线功能区，不进入生态保护红线",
              "a water-supply pipeline crossing the 龙泉河 management range and shoreline zones, outside the red line",
              "需论证", "涉河建设项目须经水行政主管部门审批，并核算占用岸线长度",
              "works in a river management range need the water authority's approval; report shoreline length used"),
    "SF-03": ("energy", "光伏电站，一部分位于自然保护区实验区，不进入核心区和缓冲区，不进入生态保护红线",
              "a solar farm partly in the nature reserve's experimental zone, not in its core or buffer zone, "
              "outside the red line",
              "不符合", "自然保护区实验区只允许参观考察、旅游、教学科研等活动（《自然保护区条例》第十八条），光伏发电不在其列",
              "the experimental zone allows visits, tourism, teaching and research only (自然保护区条例 art. 18); "
              "a solar farm is none of them"),
    "SF-04": ("industry_high_pollution", "化工项目，不在任何管控图层内，但距龙泉河约600米",
              "a chemical plant outside every control polygon but about 600 m from the 龙泉河",
              "不符合", "违反项目规则 main_river_1km_high_pollution：龙泉河1公里范围内不得新建高污染工业项目",
              "breaks the project rule main_river_1km_high_pollution (no high-pollution industry within 1 km of 龙泉河)"),
    "SF-05": ("tourism_education", "湿地科普宣教中心，位于国家湿地公园一般控制区内，不进入核心保护区和生态保护红线",
              "a nature-education centre inside the national wetland park's general control zone, outside its core "
              "protection zone and the red line",
              "符合（或需论证）", "一般控制区允许适度参观旅游和科普宣教，需征得湿地公园管理机构同意",
              "the general control zone allows moderate tourism and nature education, with the park authority's consent"),
    "SF-06": ("mining", "石料矿开采，整体位于一处生态保护红线图斑内",
              "a stone quarry wholly inside one red-line polygon",
              "不符合", "生态保护红线内禁止开发性、生产性建设活动，采石不属于允许的矿产资源活动",
              "development inside the red line is forbidden; quarrying is not one of the allowed mineral activities"),
    "SF-07": ("ecological_restoration", "水土流失综合治理（点），位于生态保护红线内",
              "a soil-erosion control project (point) inside the red line",
              "需论证", "依规划开展的生态修复属有限人为活动第8项，需省级认定意见",
              "restoration under approved plans is limited activity 8: needs the provincial confirmation opinion"),
    "SF-08": ("water_works", "水文监测站（点），位于支流河道管理范围内",
              "a hydrological station (point) inside a tributary's management range",
              "需论证", "河道管理范围内建设需水行政主管部门审批",
              "building in a river management range needs the water authority's approval"),
    TXT_SITES[0]: (
        "housing", "住宅小区，位于乡镇驻地城镇开发边界内，所在管控单元为一般管控单元，不触及其他任何管控图层",
        "housing inside a township seat's urban development boundary, in a general control unit, touching no other "
        "control layer",
        "符合", "城镇开发边界内的城镇建设，未压覆任何禁止或限制区域",
        "urban construction inside the urban development boundary, touching nothing restricted"),
    TXT_SITES[1]: (
        "industry", "农产品加工厂，整体压覆一处永久基本农田图斑",
        "an agricultural-products plant wholly on a permanent basic farmland polygon",
        "不符合", "永久基本农田不得擅自占用或改变用途（《土地管理法》第三十五条）",
        "permanent basic farmland may not be occupied (土地管理法 art. 35)"),
    TXT_SITES[2]: (
        "energy", "风电场升压站，位于县界以东约6公里，超出本县数据覆盖范围",
        "a wind-farm substation about 6 km east of the county boundary, beyond the data's coverage",
        "无法判定", "场址不在县界内，现有图层无法判断其压覆情况",
        "the site lies outside the county: the layers cannot tell what it touches"),
    TXT_SITES[3]: (
        "housing", "安置房项目两宗地（一期地块内有一处保留的学校用地，作为洞），均位于中心城区城镇开发边界内，"
        "不触及其他管控图层（管控单元除外）",
        "two resettlement-housing parcels (the first with a hole: a school that stays) inside the central urban "
        "development boundary, touching no other control layer but the control units",
        "符合", "城镇开发边界内的住宅建设；所在重点管控单元的空间布局约束针对污染较重项目",
        "housing inside the urban development boundary; the key control unit's clause targets polluting industry"),
}

CONTROL_LAYER_IDS = ("red_line", "protected_areas", "river_ranges", "shoreline_zones", "urban_boundary",
                     "basic_farmland", "control_units", "water_sources")

