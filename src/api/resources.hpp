// Each resource file registers its routes through one function; routes.cpp
// calls them all, so every route Miroir serves is listed from one place.
#pragma once

#include "miroir/api/route_table.hpp"

namespace miroir::api {

void RegisterHealthRoutes(RouteTable& routes);     // health.cpp
void RegisterIndexRoutes(RouteTable& routes);      // indexes.cpp
void RegisterDocumentRoutes(RouteTable& routes);   // documents.cpp
void RegisterSearchRoutes(RouteTable& routes);     // search.cpp
void RegisterSettingsRoutes(RouteTable& routes);   // settings.cpp
void RegisterStatsRoutes(RouteTable& routes);      // stats.cpp
void RegisterTaskRoutes(RouteTable& routes);       // tasks.cpp
void RegisterKeyRoutes(RouteTable& routes);        // keys.cpp
void RegisterAdminRoutes(RouteTable& routes);      // admin.cpp

}  // namespace miroir::api
